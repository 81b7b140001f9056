"""gunicorn settings for docregistry: ``gunicorn docregistry.wsgi -c deploy/gunicorn.conf.py``.

Everything can be overridden from the environment (``BIND``/``PORT``,
``WEB_CONCURRENCY``, ``GUNICORN_TIMEOUT``). Requests are logged by Django's
``RequestLogMiddleware`` (one structured line each), so gunicorn's own access
log is off; its error log goes to standard error.
"""

import multiprocessing
import os

bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # noqa: S104 (behind a proxy)
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # batch PDFs run in Celery, not here
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
# heartbeat files in memory, not on a possibly slow disk
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "docregistry-web"
preload_app = False
