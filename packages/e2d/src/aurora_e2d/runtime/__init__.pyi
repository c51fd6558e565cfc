from .job import RunResult as RunResult, load_run_config as load_run_config, resume_job as resume_job, run_job as run_job
from .loop import ExecutionLoop as ExecutionLoop, LoopOutcome as LoopOutcome, LoopStatus as LoopStatus
from .orderplan import Target as Target, plan_orders as plan_orders
