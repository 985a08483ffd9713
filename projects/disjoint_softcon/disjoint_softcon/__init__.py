from .disjoint_softcon import DisjointSoftCon

__all__ = ['DisjointSoftCon']
