"""Small ASGI applications the uvicorn tests run as processes."""
