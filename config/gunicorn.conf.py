"""gunicorn settings for serving motcua: `gunicorn -c config/gunicorn.conf.py -w 4 'api:create_app()'`."""
import gc


def post_worker_init(worker):
    # The printed forms' renderer loads its fonts and templates on first use (about 1.5 s): done here, before
    # the first request, so that a receipt never waits for it.
    from api.printing import warm_up

    warm_up()
    # What the worker has loaded by now (modules, mappers, the app) lives as long as it does. Frozen out of
    # the cyclic collector's sight, a full collection scans only what requests leave behind: without this,
    # each full collection paused a request for 80-140 ms.
    gc.freeze()
