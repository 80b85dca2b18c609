"""`infogan serve`: the SDK as an HTTP API (FastAPI + uvicorn) with a web playground, for apps in any language.

    pip install "infogan-sdk[serve]"
    infogan serve --port 8000                      # then open http://127.0.0.1:8000/ or /docs

    >>> from infogan_sdk.serve.app import create_app  # doctest: +SKIP
    >>> from infogan_sdk.serve.config import ServeConfig  # doctest: +SKIP
    >>> app = create_app(ServeConfig(models=("mnist",), max_concurrent=4))  # doctest: +SKIP

Modules: config (settings and limits; no web library, so the CLI reads its defaults), app (the FastAPI app),
server (uvicorn), routes, uploads (/v1/infer and /v1/edit bodies), guards (token, content type, body size, concurrency),
registry (loaded models), model_info (GET /v1/models), codec (PNG and base64), errors, schemas, static/ (playground).
Only app, server and what they import need fastapi; `import infogan_sdk` never imports any of it.
"""
