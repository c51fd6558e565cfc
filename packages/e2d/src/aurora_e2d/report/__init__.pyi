from .page import REPORT as REPORT
from .page import format_metric as format_metric
from .page import render_report as render_report
from .page import write_report as write_report
from .summary import SUMMARY as SUMMARY
