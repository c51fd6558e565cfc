from .job import RunResult as RunResult, load_run_config as load_run_config, resume_job as resume_job, run_job as run_job
from .levers import arm_kill as arm_kill, disarm_kill as disarm_kill, live_runs as live_runs, reset_breaker as reset_breaker
from .lock import LOCK_FILE as LOCK_FILE, Holder as Holder, RunDirBusyError as RunDirBusyError, RunLock as RunLock, holder as holder
from .loop import ExecutionLoop as ExecutionLoop, LoopOutcome as LoopOutcome, LoopStatus as LoopStatus, ReplayClock as ReplayClock
from .orderplan import Target as Target, plan_orders as plan_orders
from .phase import PhaseInfo as PhaseInfo, RunPhase as RunPhase, is_run_dir as is_run_dir, read_phase as read_phase
from .signals import Interrupted as Interrupted, StopSignals as StopSignals
from .stack import TradingStack as TradingStack, open_stack as open_stack, restore_governor as restore_governor
from .status import collect_status as collect_status, render_status as render_status
