"""Catalogue layer: the ring-3 fault table, the kernel's ``crash=`` table, and the boot that
runs every row and proves it with four witnesses."""
