<?php
// Reads "a<TAB>b" lines; prints -1, 0 or 1 as Composer orders the two
// versions (composer/semver: VersionParser::normalize, then Comparator),
// or E when VersionParser rejects either or either is a branch (dev-*),
// which Composer does not order. With the argument "raw", prints PHP's
// version_compare(a, b) of the strings as they are; with "osv", as OSV
// orders them (version_compare without a leading "v" and trailing
// separators; E as above); with
// "normalize", VersionParser::normalize(a), or E.
require '/usr/share/php/Composer/Semver/autoload.php';

use Composer\Semver\Comparator;
use Composer\Semver\VersionParser;

$mode = $argv[1] ?? '';
$parser = new VersionParser();
$out = [];
while (($line = fgets(STDIN)) !== false) {
    $line = rtrim($line, "\n");
    if ($line === '') continue;
    [$a, $b] = explode("\t", $line, 2);
    if ($mode === 'raw') {
        $out[] = (string) version_compare($a, $b);
        continue;
    }
    if ($mode === 'osv') { // as osv.dev orders: without a leading "v", E as above
        try {
            $na = $parser->normalize($a);
            $nb = $parser->normalize($b);
        } catch (UnexpectedValueException $e) {
            $out[] = 'E';
            continue;
        }
        if (str_starts_with($na, 'dev-') || str_starts_with($nb, 'dev-')) {
            $out[] = 'E';
            continue;
        }
        $osv = fn($v) => rtrim(preg_replace('/^[vV]/', '', trim($v)), '.-_+');
        $out[] = (string) version_compare($osv($a), $osv($b));
        continue;
    }
    if ($mode === 'normalize') {
        try {
            $out[] = $parser->normalize($a);
        } catch (UnexpectedValueException $e) {
            $out[] = 'E';
        }
        continue;
    }
    try {
        $na = $parser->normalize($a);
        $nb = $parser->normalize($b);
    } catch (UnexpectedValueException $e) {
        $out[] = 'E';
        continue;
    }
    if (str_starts_with($na, 'dev-') || str_starts_with($nb, 'dev-')) {
        $out[] = 'E';
        continue;
    }
    $out[] = Comparator::lessThan($na, $nb) ? '-1' : (Comparator::greaterThan($na, $nb) ? '1' : '0');
}
echo implode("\n", $out), "\n";
