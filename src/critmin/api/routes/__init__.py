"""The API's routers, one module per area; each takes the :class:`~critmin.api.service.Service`."""
