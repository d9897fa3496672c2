"""同心 Tongxin — community governance and resident services platform."""

__version__ = "0.1.0"
