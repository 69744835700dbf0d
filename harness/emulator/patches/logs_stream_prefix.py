"""FilterLogEvents honours ``logStreamNamePrefix``.

moto: FilterLogEvents ignores ``logStreamNamePrefix`` and searches every stream of the group, so a
caller following one training job's log (``<job>/algo-1-...``) gets the events of every job that ever
ran; a poll that re-reads the stream prints the whole group again.
AWS (CloudWatch Logs API reference, FilterLogEvents): ``logStreamNamePrefix`` "filters the results to
include only events from log streams that have names starting with this prefix"; giving it together
with ``logStreamNames`` is an ``InvalidParameterException``; a prefix that matches no stream returns no
events.
"""

from __future__ import annotations

import json
from typing import Any

from ._util import replace


def apply() -> None:
    from moto.logs.exceptions import InvalidParameterException
    from moto.logs.responses import LogsResponse

    def factory(original: Any) -> Any:
        def filter_log_events(self: Any) -> str:
            prefix = self._get_param("logStreamNamePrefix")
            if prefix is None:
                return original(self)
            if self._get_param("logStreamNames"):
                raise InvalidParameterException(
                    "Cannot specify both logStreamNames and logStreamNamePrefix in the same request"
                )
            group = self.logs_backend.groups.get(self._get_param("logGroupName"))
            if group is None:
                return original(self)  # moto's own ResourceNotFoundException
            names = [n for n in list(group.streams) if n.startswith(prefix)]  # a copy: jobs add streams
            if not names:
                return json.dumps({"events": [], "searchedLogStreams": []})
            events, next_token, searched = self.logs_backend.filter_log_events(
                self._get_param("logGroupName"),
                names,
                self._get_param("startTime"),
                self._get_param("endTime"),
                self._get_param("limit"),
                self._get_param("nextToken"),
                self._get_param("filterPattern"),
                self._get_param("interleaved", False),
            )
            return json.dumps({"events": events, "nextToken": next_token, "searchedLogStreams": searched})

        return filter_log_events

    replace(LogsResponse, "filter_log_events", factory)
