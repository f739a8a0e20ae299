"""Jobs: one record per ``jobId`` shared by every replica (progress,
cancellation, finished results), and the replica side that claims, computes,
attaches to and cancels runs.

- ``registry``: the records and their state machine (pure, no Ray).
- ``board``: the named, detached Ray actor that holds the registry.
- ``progress``: the engine observer that batches progress to the board.
- ``runner``: ``POST /simulate`` on a replica: claim, compute, wait.
- ``http``: ``GET``/``DELETE /jobs/{jobId}``.
- ``settings``: retention, orphan timeout, record cap, report interval.
"""
