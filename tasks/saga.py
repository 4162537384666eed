"""The choreographer (queue ``saga``)."""
from tasks.celery_app import app


@app.task(name="saga.ping")
def ping() -> str:
    """Answers ``pong``: proves a worker consumes a queue and results come back."""
    return "pong"
