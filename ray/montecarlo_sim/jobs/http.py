"""``GET``/``DELETE /jobs/{jobId}``: a router the simulator's FastAPI app
includes, so the routes share its dependencies (authentication). Any replica
answers for any job: the records live on the board."""

from typing import Any, Dict

from fastapi import APIRouter, HTTPException

from .board import board_handle

jobs_router = APIRouter()


@jobs_router.get("/jobs/{job_id}")
async def get_job(job_id: str) -> Dict[str, Any]:
    return _found(job_id, await board_handle().view.remote(job_id))


@jobs_router.delete("/jobs/{job_id}")
async def cancel_job(job_id: str) -> Dict[str, Any]:
    """Cancel a running job (idempotent; a finished job keeps its state)."""
    return _found(job_id, await board_handle().cancel.remote(job_id))


def _found(job_id: str, view) -> Dict[str, Any]:
    if view is None:
        raise HTTPException(404, f"job {job_id} not found")
    return view
