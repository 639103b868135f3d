# Name and stamp a container's log lines for a merged, sorted log.
#
#   docker logs -t NAME | awk -v c=NAME -f stamp.awk
#
# Input: lines as `docker logs -t` or `docker service logs --timestamps`
# print them, an RFC 3339 stamp first. Output: "STAMP NAME | LINE", the
# stamp's fraction padded to nine digits so that a plain `sort -k1,1` of
# several containers' lines puts them in time order (Docker trims trailing
# zeros). A line without a stamp is kept as "NAME | LINE".
/^[0-9][0-9][0-9][0-9]-/ {
	st = $1
	rest = substr($0, length($1) + 2)
	if (match(st, /\.[0-9]+/)) {
		fr = substr(st, RSTART + 1, RLENGTH - 1)
		while (length(fr) < 9)
			fr = fr "0"
		st = substr(st, 1, RSTART) fr substr(st, RSTART + RLENGTH)
	}
	print st " " c " | " rest
	next
}
{ print c " | " $0 }
