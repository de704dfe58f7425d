"""cae-export: manufacturer product data to CAE part libraries, classification data and markers."""

__version__ = "0.1.0"
