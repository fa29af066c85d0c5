"""Engines that run dedup beyond one process.

* :mod:`wireclean.engines.ray` -- corpus-scale paragraph dedup on Ray Data
  (``pip install 'wireclean[ray]'``). Importing the module does not import Ray; the
  functions do, and say what to install when it is missing.
"""
