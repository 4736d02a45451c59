"""The /_zoomlive control API: seed, inspect and reset the emulator's state."""
