# Reads "a<TAB>b" lines; prints -1, 0 or 1 as librpm orders the two EVR
# strings, or E when rpm refuses one (rpm.ver uses rpmverParse + rpmverCmp, like rpm.labelCompare).
import sys
import rpm

for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t")
    try:
        x, y = rpm.ver(a), rpm.ver(b)
    except ValueError:  # rpm refuses to parse it
        print("E")
        continue
    print(-1 if x < y else 1 if x > y else 0)
