"""Real media: when a live stream starts, an RTMP feed to its ingest (README, "Real media").

``supervisor`` (in the API process) needs no PyAV; ``worker``, ``sender``, ``encode``,
``card`` and ``font`` run in the media worker process, with PyAV and numpy from the
``zoomlive[media]`` extra.
"""
