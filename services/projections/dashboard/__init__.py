"""The dashboard (统计大屏): one zh-CN page at `/` that reads projections' API with the viewer's token."""

from services.projections.dashboard.pages import router

__all__ = ["router"]
