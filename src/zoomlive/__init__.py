"""zoomlive."""
