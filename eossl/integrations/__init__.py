"""eossl encoders inside the field's toolkits: TerraTorch (backbone registry), torchgeo-bench
(``BenchModel``) and PANGAEA (``Encoder``). Each module imports its toolkit, so import only the
one whose extra is installed (``eossl[terratorch]``, ``eossl[torchgeo-bench]``)."""
