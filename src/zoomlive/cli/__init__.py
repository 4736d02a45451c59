"""The ``zoomlive`` command line (needs the ``cli`` extra)."""
