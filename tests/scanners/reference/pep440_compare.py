# Reads "a<TAB>b" lines; prints -1, 0 or 1 as packaging.version orders them,
# or E when either is not a valid PEP 440 version.
import sys
from packaging.version import Version, InvalidVersion

for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t")
    try:
        x, y = Version(a), Version(b)
    except InvalidVersion:
        print("E")
        continue
    print(-1 if x < y else 1 if x > y else 0)
