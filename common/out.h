/*
 * The output lines: the fixed interface users' scripts read on stderr.
 *
 *   {peer_id:2, view_id: 3, leader: 1, memb_list: [1,2,3,5]}
 *   {peer_id:2, view_id: 3, leader: 1, message:"crashing"}
 *   {peer_id:2, view_id: 3, leader: 1, message:"peer 5 unreachable"}
 *   {peer_id:2, view_id: 3, leader: 1, message:"peer 1 (leader) unreachable"}
 *
 * Each function formats one line, newline included, into buf and returns
 * its length. buf must hold OUT_LINE_BYTES_MAX bytes. No I/O here.
 */
#ifndef ROLLCALL_OUT_H
#define ROLLCALL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerset.h"

size_t out_view(char *buf, unsigned self, uint32_t view_id, unsigned leader,
		const struct peerset *members);
size_t out_crashing(char *buf, unsigned self, uint32_t view_id,
		    unsigned leader);
size_t out_unreachable(char *buf, unsigned self, uint32_t view_id,
		       unsigned leader, unsigned peer, bool peer_is_leader);

#endif
