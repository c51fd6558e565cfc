from .signals import Interrupted as Interrupted
from .signals import StopSignals as StopSignals
