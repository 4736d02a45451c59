"""Real media: when a live stream starts, an RTMP feed to its ingest (README, "Real media").

``supervisor``, ``spec`` and ``status`` (in the API process) import neither PyAV nor
numpy, and must not: media costs the API process nothing (README, Decision 25).
``worker``, ``sender``, ``encode``, ``card`` and ``font`` run in the media worker
process, with PyAV and numpy from the ``zoomlive[media]`` extra.
"""
