"""kzgraph: a knowledge graph of Kazakhstan-Turkey relations 1991-2020.

The library runs one way (see STYLE.md): ``load`` -> ``validate`` -> ``reason`` ->
``store`` -> ``query`` -> ``render``; ``cli`` is a thin face over it.  Importing this
package is cheap: heavy libraries (rdflib, owlrl, pyshacl) load only when used.
"""

__version__ = "0.1.0"
