"""The API's page numbers: `?page=` must be a page that exists."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """DRF's page numbers (PAGE_SIZE a page), except that an empty `?page=` is refused like
    `?page=abc` (404, "Invalid page.") instead of being read as the first page: the schema
    documents an integer."""

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        if request.query_params.get(self.page_query_param) == "":
            return ""  # Django's paginator refuses it: not an integer
        return super().get_page_number(request, paginator)
