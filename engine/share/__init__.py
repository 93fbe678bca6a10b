"""Stage 9, share: what leaves the process once a run is done.

``consent`` decides what a saved run keeps (results only unless the user
ticks more), ``store`` saves and finds runs by share token (SQLite or
PostgreSQL), ``report`` writes the self-contained HTML report, ``export``
makes CSV downloads safe to open in a spreadsheet, ``throttle`` backs off
repeated failed attempts (share tokens).
"""
