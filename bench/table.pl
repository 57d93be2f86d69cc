#!/usr/bin/env perl
# Turns bench/run's results into the Markdown table of docs/performance.md, with the targets.
#   perl bench/table.pl RESULTS PEAK_RSS_KB CONCURRENCY DURATION ROUNDS ARTICLES
use strict;
use warnings;

my ($file, $rss_kb, $concurrency, $duration, $rounds, $articles) = @ARGV;
open my $in, '<', $file or die "$file: $!\n";
my (%row, @order);
while (<$in>) {
    chomp;
    my ($label, undef, $rps, $p50, $p99, $errors, $tps, $pg50, $pg99) = split /\|/;
    $row{$label} = { rps => $rps, p50 => $p50, p99 => $p99, errors => $errors,
                     tps => $tps, pg50 => $pg50, pg99 => $pg99, ratio => $tps > 0 ? $rps / $tps : 0 };
    push @order, $label;
}

print "| Scenario ($articles articles unless named) | API req/s | API p50 ms | API p99 ms "
    . "| pgbench tps | pgbench p50 ms | pgbench p99 ms | API ÷ pgbench |\n";
print "|---|---:|---:|---:|---:|---:|---:|---:|\n";
for my $label (@order) {
    my $r = $row{$label};
    printf "| %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f |\n",
        $label, @$r{qw(rps p50 p99 tps pg50 pg99 ratio)};
}
my @errors = grep { $row{$_}{errors} } @order;
printf "\nConcurrency %d (wrk -t2, pgbench -j2 -M prepared); per scenario, after a warm-up, %d rounds "
    . "of %d s of wrk then %d s of pgbench, page 1 and page 500 in the same rounds, and so the two "
    . "sizes of latest by topic (req/s: mean of the rounds; wrk percentiles: the median "
    . "round's; pgbench percentiles: over all transactions). Peak server RSS %.1f MB.%s\n",
    $concurrency, $rounds, $duration, $duration, $rss_kb / 1024,
    @errors ? " Non-2xx or socket errors in: " . join(', ', @errors) . "." : " No errors.";

my $small = (grep { /^latest by topic at / } @order)[0];
my @targets = (
    ["uncached latest by topic ≥ 0.5 × pgbench", $row{'latest by topic, uncached'}{ratio}, 0.5, '≥'],
    ["latest by entity ≥ 0.5 × pgbench", $row{'latest by entity'}{ratio}, 0.5, '≥'],
    ["cached latest ≥ 2 × pgbench (uncached SQL)", $row{'latest, cached'}{ratio}, 2, '≥'],
    ["cached latest by topic ≥ 2 × pgbench (uncached SQL)", $row{'latest by topic, cached'}{ratio}, 2, '≥'],
    ["page 500 p50 ≤ 1.2 × page 1 p50", $row{'topic page 500 (cursor)'}{p50} / $row{'topic page 1'}{p50}, 1.2, '≤'],
    ["by-topic p50 at $articles ≤ 1.5 × at the small size",
        $small ? $row{'latest by topic, uncached'}{p50} / $row{$small}{p50} : 0, 1.5, '≤'],
    ["peak RSS ≤ 100 MB", $rss_kb / 1024, 100, '≤'],
);
print "\n| Target | Measured | Met |\n|---|---:|---|\n";
for my $t (@targets) {
    my ($name, $value, $limit, $op) = @$t;
    my $met = $op eq '≥' ? $value >= $limit : $value <= $limit;
    printf "| %s | %.2f | %s |\n", $name, $value, $met ? 'yes' : 'no';
}
