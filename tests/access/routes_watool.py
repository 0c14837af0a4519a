"""Access table for the review's Well-Architected Tool page (reviewapp/views/watool.py)."""

from __future__ import annotations

from . import Route

ROUTES = {
    # The tool workload is in an account nobody connected: the owner gets the form back with that error (400).
    "review_wa_tool": Route(
        scope="object",
        kwargs=lambda world: {"review_id": world.review.pk},
        write="post",
        data=lambda world: {
            "action": "preview",
            "workload_arn": "arn:aws:wellarchitected:eu-west-1:999988887777:workload/" + "0" * 32,
        },
        write_ok=(400,),
    ),
}
