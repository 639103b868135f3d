/*
 * Events for handlers: the JSON line and the environment, from one
 * struct out_event, so the two always say the same.
 */
#include "event.h"

#include <stdio.h>

/* members is meaningful for a view and a removal only. */
static const struct peerset *event_members(const struct out_event *e)
{
	static const struct peerset none;
	if (e->kind == OUT_EVENT_VIEW || e->kind == OUT_EVENT_REMOVED)
		return &e->members;
	return &none;
}

/* "1,2,3" into buf (HANDLER_EVENT_BYTES_MAX); returns its length. */
static size_t event_list(char *buf, size_t cap, const struct peerset *s)
{
	size_t len = 0;
	buf[0] = '\0';
	peerset_foreach(s, id) {
		int n = snprintf(buf + len, cap - len, "%s%u", len ? "," : "",
				 id);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	return len;
}

size_t event_json(char *buf, const struct out_event *e)
{
	const size_t cap = HANDLER_EVENT_BYTES_MAX;
	char list[HANDLER_EVENT_BYTES_MAX];
	event_list(list, sizeof(list), event_members(e));
	int n = snprintf(buf, cap, "{\"event\":\"%s\",\"peer_id\":%u,"
			 "\"view_id\":%u,\"leader\":%u,\"members\":[%s]",
			 out_event_name(e->kind), e->self,
			 (unsigned)e->view_id, e->leader, list);
	size_t len = n < 0 ? 0 : (size_t)n;
	if (e->kind == OUT_EVENT_UNREACHABLE && len < cap)
		len += (size_t)snprintf(buf + len, cap - len,
					",\"peer\":%u,\"peer_is_leader\":%s",
					e->peer,
					e->peer_is_leader ? "true" : "false");
	if (len < cap)
		len += (size_t)snprintf(buf + len, cap - len, "}\n");
	return len < cap ? len : cap - 1;
}

unsigned event_env(const struct out_event *e, char *store,
		   char *vars[EVENT_ENV_VARS_MAX])
{
	const size_t cap = HANDLER_EVENT_BYTES_MAX;
	char list[HANDLER_EVENT_BYTES_MAX];
	size_t used = 0;
	unsigned count = 0;

	event_list(list, sizeof(list), event_members(e));
	/* Each "NAME=value" in turn, NUL-terminated, one after another. */
#define EVENT_VAR(...)                                                      \
	do {                                                                \
		int n_ = snprintf(store + used, cap - used, __VA_ARGS__);   \
		if (n_ >= 0 && (size_t)n_ < cap - used) {                   \
			vars[count++] = store + used;                       \
			used += (size_t)n_ + 1;                             \
		}                                                           \
	} while (0)
	EVENT_VAR("ROLLCALL_EVENT=%s", out_event_name(e->kind));
	EVENT_VAR("ROLLCALL_PEER_ID=%u", e->self);
	EVENT_VAR("ROLLCALL_VIEW_ID=%u", (unsigned)e->view_id);
	EVENT_VAR("ROLLCALL_LEADER=%u", e->leader);
	EVENT_VAR("ROLLCALL_MEMBERS=%s", list);
	if (e->kind == OUT_EVENT_UNREACHABLE) {
		EVENT_VAR("ROLLCALL_PEER=%u", e->peer);
		EVENT_VAR("ROLLCALL_PEER_IS_LEADER=%d", e->peer_is_leader);
	}
#undef EVENT_VAR
	return count;
}
