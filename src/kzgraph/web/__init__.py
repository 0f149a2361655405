"""The parts of ``kzgraph serve`` (:mod:`kzgraph.serve` assembles them into one ASGI app).

One module per job, each taking the shared state (:class:`~kzgraph.web.site.Site`) explicitly:
``config`` (settings, constants, the HTTP error), ``site`` (what one HTTP worker serves from),
``middleware`` (ASGI wrappers), ``respond`` (answers and errors), ``endpoint`` (the SPARQL
protocol, saved queries), ``resources`` (home and resource pages), ``finding`` (search,
ask), ``descriptions`` (ontology, VoID, dataset and graph IRIs), ``files`` (crawler files,
dumps, static files, refusals).  Nothing here imports :mod:`kzgraph.serve` or the CLI.
"""
