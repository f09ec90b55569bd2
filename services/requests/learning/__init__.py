"""Learning from the portal's own requests (next-service patterns, demand forecasts) in a process of its own,
`python -m services.requests.learning`: the requests service starts it and waits for it (child.py), on its schedule
(REQUESTS_INSIGHTS_RETRAIN_SECONDS) and when staff ask (POST /api/v1/admin/insights/retrain); `portal insights
retrain` runs the same by hand. numpy, pandas and statsmodels are loaded there only, and given back when it exits;
the serving process reads what learning wrote to the store. On Kubernetes the child runs inside the requests pod
and counts against its memory limit: at about a million requests it peaked at 485 MB (bench.insights), which the
pod's 512Mi cannot hold beside the service (nor could it when learning ran in the serving process)."""
