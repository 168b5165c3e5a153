"""The app a fault-test worker subprocess runs: the real app plus the `fault_probe` script
function (`python -m flask --app tests.faults.worker_app erflow worker …`)."""
from app import create_app
from tests.faults import probe  # noqa: F401  (registers fault_probe)

app = create_app()
