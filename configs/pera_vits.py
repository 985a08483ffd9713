# PerA, ViT-S/16 on SSL4EO-S12 S2 (13 bands), 200 epochs — see pera/pera_vits16_s2_200e_ssl4eo.py.
_base_ = ['pera/pera_vits16_s2_200e_ssl4eo.py']
