from .page import REPORT as REPORT, format_metric as format_metric, render_report as render_report, write_report as write_report
from .summary import SUMMARY as SUMMARY
