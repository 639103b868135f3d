/*
 * The membership core's internal steps, shared by its files (mship.c,
 * join.c, member.c, lead.c, takeover.c, lives.c). Nothing outside
 * membership/ includes this; the core's interface is mship.h. Each step is
 * documented where it is defined.
 */
#ifndef ROLLCALL_MSHIP_INT_H
#define ROLLCALL_MSHIP_INT_H

#include "mship.h"

#include "../common/out.h"

/* Shared steps and the detector (mship.c) */
struct wire_msg mship__msg(const struct mship *m, enum wire_type type);
void mship__send(struct mship *m, const struct peerset *to,
		 const struct wire_msg *msg);
void mship__send_one(struct mship *m, unsigned to, const struct wire_msg *msg);
void mship__emit(struct mship *m, enum out_event_kind kind, unsigned peer);
void mship__emit_event(struct mship *m, const struct out_event *e);
void mship__report(struct mship *m, unsigned peer);
struct peerset mship__live_others(const struct mship *m);
unsigned mship__lowest_live(const struct mship *m);
void mship__revive(struct mship *m, int64_t now_ms, unsigned peer);
void mship__save(struct mship *m);
void mship__crash(struct mship *m);
void mship__arm_crash(struct mship *m, int64_t now_ms);
void mship__install(struct mship *m, int64_t now_ms, uint32_t view_id,
		    unsigned leader, const struct peerset *members);
void mship__on_dead(struct mship *m, int64_t now_ms, unsigned peer);
void mship__forget_suspicions(struct mship *m, unsigned peer);
void mship__recheck_suspects(struct mship *m, int64_t now_ms);
void mship__beat_to(struct mship *m, int64_t now_ms, unsigned to);
bool mship__active(const struct mship *m);
void mship__heard_ballot(struct mship *m, uint64_t ballot);

/* Joining, founding, leaving (join.c) */
void mship__found(struct mship *m, int64_t now_ms);
void mship__probe(struct mship *m, int64_t now_ms);
void mship__found_unanswered(struct mship *m, int64_t now_ms);
int64_t mship__found_quiet(const struct mship *m, int64_t now_ms);
void mship__join(struct mship *m, int64_t now_ms, unsigned target);
void mship__join_retry(struct mship *m, int64_t now_ms);
void mship__on_redirect(struct mship *m, int64_t now_ms,
			const struct wire_msg *msg);
void mship__removed(struct mship *m, int64_t now_ms, uint32_t view_id,
		    unsigned leader, const struct peerset *members,
		    unsigned ask);
void mship__on_newview(struct mship *m, int64_t now_ms,
		       const struct wire_msg *msg);

/* A member answering (member.c) */
void mship__refuse(struct mship *m, const struct wire_msg *msg);
void mship__on_req(struct mship *m, int64_t now_ms,
		   const struct wire_msg *msg);
void mship__settle_newleader(struct mship *m);
void mship__on_newleader(struct mship *m, int64_t now_ms,
			 const struct wire_msg *msg);

/* Leading a change (lead.c) */
void mship__enqueue(struct mship *m, const struct mship_change *c,
		    bool front);
void mship__dequeue(struct mship *m, const struct mship_change *c);
void mship__start_round(struct mship *m, int64_t now_ms);
void mship__resend_view(struct mship *m, int64_t now_ms, unsigned to);
void mship__on_join(struct mship *m, int64_t now_ms,
		    const struct wire_msg *msg);
void mship__check_testcase4(struct mship *m);
bool mship__life_gone(struct mship *m, int64_t now_ms,
		      const struct wire_msg *msg);
void mship__on_ok(struct mship *m, int64_t now_ms,
		  const struct wire_msg *msg);
void mship__retry(struct mship *m, int64_t now_ms);
bool mship__check_hopeless(struct mship *m, int64_t now_ms);
void mship__show_view_to_all(struct mship *m);

/* Taking over (takeover.c) */
void mship__take_over(struct mship *m, int64_t now_ms);
void mship__send_newleader(struct mship *m);
void mship__on_recon_answer(struct mship *m, int64_t now_ms,
			    const struct wire_msg *msg);
void mship__step_down(struct mship *m, int64_t now_ms, unsigned follow);
void mship__leader_lost(struct mship *m, int64_t now_ms);

/* Lives and pauses (lives.c) */
bool mship__same_life(struct mship *m, const struct wire_msg *msg);
void mship__resume(struct mship *m, int64_t now_ms);
void mship__notice_pause(struct mship *m, int64_t now_ms);
void mship__heard_group(struct mship *m, int64_t now_ms,
			const struct wire_msg *msg);
void mship__found_undo(struct mship *m, int64_t now_ms, unsigned ask);
bool mship__admits(struct mship *m, const struct wire_msg *msg);
bool mship__may_confirm(const struct mship *m, int64_t now_ms,
			const struct wire_msg *msg);
bool mship__admit_set(const struct mship *m);

#endif
