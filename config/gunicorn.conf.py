"""gunicorn settings for serving motcua: `gunicorn -c config/gunicorn.conf.py -w 4 'api:create_app()'`."""
import gc


def post_worker_init(worker):
    # What the worker has loaded by now (modules, mappers, the app) lives as long as it does. Frozen out of
    # the cyclic collector's sight, a full collection scans only what requests leave behind: without this,
    # each full collection paused a request for 80-140 ms.
    gc.freeze()
