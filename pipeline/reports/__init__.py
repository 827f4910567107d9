"""Run reports: the data model, the collector, and the HTML / JSON / markdown renderers.

Nothing here imports Prefect: ``flows/`` turns the markdown and table
renderings into Prefect artifacts.
"""
