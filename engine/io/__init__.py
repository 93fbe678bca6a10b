"""Stage 1, data in and out: reading a user's file into a :class:`engine.io.dataset.Dataset`.

CSV and other uploads are parsed with their limits and repairs noted
(``data``), wrapped with their kind's loaders (``dataset``: the kinds
register loaders by name, so this stage never imports them; a table zipped
alone is read as that table: ``zipped``; a workbook's first sheet with data
as CSV text: ``spreadsheet``), dates read one
way (``dates``), the bundled samples listed (``samples``) and values made
strict JSON (``json_safe``). It imports only :mod:`engine.common`.
"""
