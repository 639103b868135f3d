/*
 * Links (link.h): framed TCP over libuv.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/bounds.h"
#include "../common/wire.h"
#include "../common/wire_walk.h"
#include "link.h"

#define LINK_READ_BYTES_MIN 4096

struct link {
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_getaddrinfo_t lookup;
	struct link_events ev;
	uv_loop_t *loop;
	uint16_t port;
	bool tcp_open;		/* the handle is initialised */
	bool resolving;
	bool connected;
	bool closing;
	bool told;		/* on_close was called */
	char *buf;
	size_t len, cap;
	size_t queued;
	void *data;
	char name[64];
};

struct link_write {
	uv_write_t req;
	struct link *l;
	size_t len;
	char bytes[];
};

void *link_ctx(const struct link *l)
{
	return l->ev.ctx;
}

const char *link_peer_name(const struct link *l)
{
	return l->name;
}

bool link_is_connected(const struct link *l)
{
	return l->connected && !l->closing;
}

size_t link_queued(const struct link *l)
{
	return l->queued;
}

void link_set_data(struct link *l, void *data)
{
	l->data = data;
}

void *link_data(const struct link *l)
{
	return l->data;
}

static void on_tcp_closed(uv_handle_t *h)
{
	struct link *l = h->data;
	free(l->buf);
	free(l);
}

/* End the link once: tell the user (unless it asked), close the handle. */
static void link_end(struct link *l, int err)
{
	if (l->closing)
		return;
	l->closing = true;
	l->connected = false;
	if (!l->told && err != 0 && l->ev.on_close != NULL) {
		l->told = true;
		l->ev.on_close(l, err);
	}
	l->told = true;
	if (l->resolving) {
		/* Freed by on_lookup once the request is cancelled. */
		uv_cancel((uv_req_t *)&l->lookup);
		return;
	}
	if (l->tcp_open)
		uv_close((uv_handle_t *)&l->tcp, on_tcp_closed);
	else
		free(l);
}

void link_close(struct link *l)
{
	if (l != NULL)
		link_end(l, 0);
}

static void on_write(uv_write_t *req, int status)
{
	struct link_write *w = (struct link_write *)req;
	struct link *l = w->l;
	l->queued -= w->len;
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		link_end(l, status);
}

int link_send(struct link *l, const void *body, size_t len)
{
	if (l->closing)
		return UV_ECANCELED;
	if (len > FRAME_BYTES_MAX)
		return UV_E2BIG;
	if (l->queued + len > SEND_QUEUE_BYTES_MAX) {
		link_end(l, UV_ENOBUFS);
		return UV_ENOBUFS;
	}
	size_t total = WIRE_FRAME_HEADER_BYTES + len;
	struct link_write *w = malloc(sizeof(*w) + total);
	if (w == NULL)
		return UV_ENOMEM;
	w->l = l;
	w->len = total;
	wire_frame_prefix(w->bytes, len);
	memcpy(w->bytes + WIRE_FRAME_HEADER_BYTES, body, len);
	l->queued += total;
	if (!l->connected) {
		/* Not connected yet: the only queue is libuv's, which needs a
		 * connected stream. Dropped: the callers retry. */
		l->queued -= total;
		free(w);
		return UV_ENOTCONN;
	}
	uv_buf_t b = uv_buf_init(w->bytes, (unsigned)total);
	int rc = uv_write(&w->req, (uv_stream_t *)&l->tcp, &b, 1, on_write);
	if (rc != 0) {
		l->queued -= total;
		free(w);
		link_end(l, rc);
	}
	return rc;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct link *l = h->data;
	(void)suggested;
	size_t max = WIRE_FRAME_HEADER_BYTES + FRAME_BYTES_MAX;
	if (l->cap - l->len < LINK_READ_BYTES_MIN && l->cap < max) {
		size_t cap = l->cap ? l->cap * 2 : LINK_READ_BYTES_MIN * 2;
		if (cap > max)
			cap = max;
		char *nb = realloc(l->buf, cap);
		if (nb != NULL) {
			l->buf = nb;
			l->cap = cap;
		}
	}
	buf->base = l->buf != NULL ? l->buf + l->len : NULL;
	buf->len = l->buf != NULL ? l->cap - l->len : 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct link *l = s->data;
	(void)buf;
	if (l->closing)
		return;
	if (nread < 0) {
		link_end(l, (int)nread);
		return;
	}
	l->len += (size_t)nread;
	size_t off = 0;
	while (!l->closing) {
		const char *body;
		size_t body_len, used;
		int rc = wire_frame_next(l->buf + off, l->len - off, &body,
					 &body_len, &used);
		if (rc == 1)
			break;
		if (rc < 0) {
			link_end(l, UV_E2BIG);
			return;
		}
		off += used;
		if (l->ev.on_frame != NULL)
			l->ev.on_frame(l, body, body_len);
	}
	if (l->closing)
		return;
	memmove(l->buf, l->buf + off, l->len - off);
	l->len -= off;
}

static void name_of(struct link *l, const struct sockaddr *sa)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		uv_ip4_name(in, ip, sizeof(ip));
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in =
			(const struct sockaddr_in6 *)sa;
		uv_ip6_name(in, ip, sizeof(ip));
		port = ntohs(in->sin6_port);
	}
	snprintf(l->name, sizeof(l->name), "%s:%d", ip, port);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct link *l = req->data;
	if (l->closing)
		return;
	if (status < 0) {
		link_end(l, status);
		return;
	}
	l->connected = true;
	uv_tcp_nodelay(&l->tcp, 1);
	int rc = uv_read_start((uv_stream_t *)&l->tcp, on_alloc, on_read);
	if (rc != 0) {
		link_end(l, rc);
		return;
	}
	if (l->ev.on_connect != NULL)
		l->ev.on_connect(l);
}

static void on_lookup(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct link *l = req->data;
	l->resolving = false;
	if (l->closing) {
		/* Closed while resolving: nothing else is open. */
		uv_freeaddrinfo(res);
		if (l->tcp_open)
			uv_close((uv_handle_t *)&l->tcp, on_tcp_closed);
		else
			free(l);
		return;
	}
	const struct addrinfo *a = res;
	while (status == 0 && a != NULL && a->ai_family != AF_INET)
		a = a->ai_next;
	if (status != 0 || a == NULL) {
		uv_freeaddrinfo(res);
		link_end(l, status != 0 ? status : UV_EAI_NONAME);
		return;
	}
	struct sockaddr_storage ss;
	memcpy(&ss, a->ai_addr, a->ai_addrlen);
	uv_freeaddrinfo(res);
	((struct sockaddr_in *)&ss)->sin_port = htons(l->port);
	name_of(l, (const struct sockaddr *)&ss);
	uv_tcp_init(l->loop, &l->tcp);
	l->tcp.data = l;
	l->tcp_open = true;
	l->connect.data = l;
	int rc = uv_tcp_connect(&l->connect, &l->tcp,
				(const struct sockaddr *)&ss, on_connect);
	if (rc != 0)
		link_end(l, rc);
}

static struct link *link_new(uv_loop_t *loop, const struct link_events *ev)
{
	struct link *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->ev = *ev;
	l->loop = loop;
	return l;
}

int link_dial(uv_loop_t *loop, const char *host, uint16_t port,
	      const struct link_events *ev, struct link **out)
{
	struct link *l = link_new(loop, ev);
	*out = NULL;
	if (l == NULL)
		return UV_ENOMEM;
	l->port = port;
	snprintf(l->name, sizeof(l->name), "%s:%u", host, port);
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	l->lookup.data = l;
	l->resolving = true;
	int rc = uv_getaddrinfo(loop, &l->lookup, on_lookup, host, NULL,
				&hints);
	if (rc != 0) {
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int link_accept(uv_stream_t *server, const struct link_events *ev,
		struct link **out)
{
	struct link *l = link_new(server->loop, ev);
	*out = NULL;
	if (l == NULL)
		return UV_ENOMEM;
	uv_tcp_init(server->loop, &l->tcp);
	l->tcp.data = l;
	l->tcp_open = true;
	int rc = uv_accept(server, (uv_stream_t *)&l->tcp);
	if (rc == 0) {
		struct sockaddr_storage ss;
		int n = sizeof(ss);
		if (uv_tcp_getpeername(&l->tcp, (struct sockaddr *)&ss, &n) == 0)
			name_of(l, (const struct sockaddr *)&ss);
		uv_tcp_nodelay(&l->tcp, 1);
		rc = uv_read_start((uv_stream_t *)&l->tcp, on_alloc, on_read);
	}
	if (rc != 0) {
		l->told = true;
		link_end(l, rc);
		return rc;
	}
	l->connected = true;
	*out = l;
	return 0;
}
