#!/usr/bin/env perl
# Turns bench/run's results into the Markdown tables of docs/performance.md, with the targets.
#   perl bench/table.pl RESULTS PEAK_RSS_KB CONCURRENCY DURATION ROUNDS ARTICLES \
#     [STATEMENTS [BUILD [VARIANTS_PEAK_RSS_KB]]]
# RESULTS: one line per scenario (bench/run's measure); STATEMENTS: one line per request of the
# statement count (bench/run's count_statements); BUILD: the commit the server was built from;
# VARIANTS_PEAK_RSS_KB: the peak RSS of the servers that answered the br, gzip and If-None-Match
# rows (PEAK_RSS_KB is then that of the others).
use strict;
use warnings;

my ($file, $rss_kb, $concurrency, $duration, $rounds, $articles, $statements_file, $build,
    $variants_rss_kb) = @ARGV;
open my $in, '<', $file or die "$file: $!\n";
my (%row, @order);
# The suffix of a variant's label after its plain row's label.
my %suffix = (br => 'br', gzip => 'gzip', 304 => 'If-None-Match (304)');
while (<$in>) {
    chomp;
    my ($label, undef, $rps, $p50, $p99, $errors, $tps, $pg50, $pg99, $bytes, $variant, $p95) = split /\|/;
    $variant //= 'plain';
    $p95 //= 0;
    my $plain = $variant eq 'plain' ? undef : $label =~ s/, \Q$suffix{$variant}\E$//r;
    $row{$label} = { rps => $rps, p50 => $p50, p95 => $p95, p99 => $p99, errors => $errors, bytes => $bytes // 0,
                     tps => $tps, pg50 => $pg50, pg99 => $pg99, ratio => $tps > 0 ? $rps / $tps : 0,
                     variant => $variant, plain => $plain };
    push @order, $label;
}
# Variants right after their plain row, in the order they were measured.
my @shown = grep { !$row{$_}{plain} || !$row{$row{$_}{plain}} } @order;
for my $label (grep { $row{$_}{plain} && $row{$row{$_}{plain}} } @order) {
    my $after = $row{$label}{plain};
    my ($at) = grep { $shown[$_] eq $after } 0 .. $#shown;
    $at++ while $at < $#shown && ($row{$shown[$at + 1]}{plain} // '') eq $after;
    splice @shown, $at + 1, 0, $label;
}

print "| Scenario ($articles articles unless named) | API req/s | API p50 ms | API p95 ms | API p99 ms "
    . "| pgbench tps | pgbench p50 ms | pgbench p99 ms | API ÷ pgbench | API bytes/response |\n";
print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
for my $label (@shown) {
    my $r = $row{$label};
    printf "| %s | %.0f | %.2f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %.0f |\n",
        $label, @$r{qw(rps p50 p95 p99 tps pg50 pg99 ratio bytes)};
}
my @errors = grep { $row{$_}{errors} } @order;
printf "\nConcurrency %d (wrk -t2, pgbench -j2 -M prepared); per scenario, after a warm-up, %d rounds "
    . "of %d s of wrk then %d s of pgbench, page 1 and page 500 in the same rounds, and so the two "
    . "sizes of latest by topic, the change feed's first and middle pages, an article's three "
    . "formats, the four feeds, and each hot list with its br, gzip and If-None-Match variants, "
    . "whose pgbench columns are their plain row's (the same SQL, measured once per round) "
    . "(req/s and bytes per response, headers included: mean of the rounds; wrk percentiles: the "
    . "median round's; pgbench percentiles: over all transactions). Peak server RSS %.1f MB%s.%s%s\n",
    $concurrency, $rounds, $duration, $duration, $rss_kb / 1024,
    $variants_rss_kb ? sprintf(' (%.1f MB for the server of the br, gzip and If-None-Match rows, '
        . 'a process of its own)', $variants_rss_kb / 1024) : '',
    @errors ? " Non-2xx or socket errors in: " . join(', ', @errors) . "." : " No errors.",
    $build ? " Release build of $build." : '';

# Statements per request, with and without Accept-Encoding and If-None-Match.
my @variants = (['plain', 'plain'], ['br', 'br'], ['gzip', 'gzip'],
                ['inm', 'If-None-Match'], ['inm_br', 'If-None-Match, br']);
my (%count, @lists, $requests, $differ, $as_asked, $conditional, $answered_304);
if ($statements_file) {
    open my $st, '<', $statements_file or die "$statements_file: $!\n";
    while (<$st>) {
        chomp;
        my ($list, $variant, $n, $status, $coding, $x_cache, $statements, $syncs, $captured)
            = split /\|/, $_, -1;
        push @lists, $list unless $count{$list};
        $count{$list}{$variant}{$n} = { status => $status, coding => $coding, x_cache => $x_cache,
                                        statements => $statements, syncs => $syncs,
                                        captured => $captured // 0 };
    }
    print "\nStatements per request on the hot lists (PostgreSQL's log, `log_statement = 'all'`; "
        . "each path once per variant, after two requests that fetch its ETags; for the cached "
        . "lists, + the response cache's syncs, empty queries on its listening connection), and "
        . "in the pgbench script captured for the path (for the cached lists, the SQL of a miss):\n\n";
    print "| Hot list | paths | pgbench script | " . join(' | ', map { $_->[1] } @variants)
        . " | same for every variant |\n";
    print "|---|---:|---:|" . ('---:|' x @variants) . "---|\n";
    for my $list (@lists) {
        my @paths = sort { $a <=> $b } keys %{ $count{$list}{plain} };
        my $same = 1;
        my $captured = 0;
        $captured += $count{$list}{plain}{$_}{captured} for @paths;
        my @cells = (sprintf '%g', $captured / @paths);
        for my $v (@variants) {
            my ($statements, $syncs) = (0, 0);
            for my $n (@paths) {
                my $c = $count{$list}{ $v->[0] }{$n} or do { $same = 0; next };
                my $plain = $count{$list}{plain}{$n};
                $requests++;
                $statements += $c->{statements};
                $syncs += $c->{syncs};
                my $cached = $list =~ /cached/ && $list !~ /uncached/;
                # Uncached, every request sends the captured script; cached, the plain hit's none.
                if ($c->{statements} != $plain->{statements}
                    || (!$cached && $c->{statements} != $c->{captured})) { $differ++; $same = 0 }
                my $ok = $v->[0] =~ /^inm/
                    ? $c->{status} eq '304'
                    : $c->{status} eq '200'
                      && $c->{coding} eq ($v->[0] eq 'plain' ? '' : $v->[0])
                      && (!$cached || $c->{x_cache} eq 'hit');
                $as_asked++ if $ok;
                if ($v->[0] =~ /^inm/) { $conditional++; $answered_304++ if $c->{status} eq '304' }
            }
            my $cell = sprintf '%g', $statements / @paths;
            $cell .= sprintf ' + %g sync', $syncs / @paths if $syncs;
            push @cells, $cell;
        }
        printf "| %s | %d | %s | %s |\n", $list, scalar @paths, join(' | ', @cells), $same ? 'yes' : 'no';
    }
}

my $small = (grep { /^latest by topic at / } @order)[0];
# [name, measured, limit, op] or [name, measured as text, met]
my @targets = (
    ["uncached latest by topic ≥ 0.5 × pgbench", $row{'latest by topic, uncached'}{ratio}, 0.5, '≥'],
    ["latest by entity ≥ 0.5 × pgbench", $row{'latest by entity'}{ratio}, 0.5, '≥'],
    ["cached latest ≥ 2 × pgbench (uncached SQL)", $row{'latest, cached'}{ratio}, 2, '≥'],
    ["cached latest by topic ≥ 2 × pgbench (uncached SQL)", $row{'latest by topic, cached'}{ratio}, 2, '≥'],
    ["page 500 p50 ≤ 1.2 × page 1 p50", $row{'topic page 500 (cursor)'}{p50} / $row{'topic page 1'}{p50}, 1.2, '≤'],
    ["by-topic p50 at $articles ≤ 1.5 × at the small size",
        $small ? $row{'latest by topic, uncached'}{p50} / $row{$small}{p50} : 0, 1.5, '≤'],
    [$variants_rss_kb ? "peak RSS ≤ 100 MB (the servers of the plain rows)" : "peak RSS ≤ 100 MB",
        $rss_kb / 1024, 100, '≤'],
);
# The search issue's targets (issue 12): today's newest-first search mix ran at 330 req/s.
for my $search ('full-text search mix, newest first', 'full-text search mix, by relevance') {
    next unless $row{$search};
    push @targets, ["$search: p95 ≤ 50 ms", $row{$search}{p95}, 50, '≤'],
        ["$search: p99 ≤ 150 ms", $row{$search}{p99}, 150, '≤'],
        ["$search: ≥ 990 req/s (3 × 330)", $row{$search}{rps}, 990, '≥'];
}
push @targets, ["facets of a large topic: p95 ≤ 100 ms", $row{'facets of a large topic'}{p95}, 100, '≤']
    if $row{'facets of a large topic'};
for my $related ('related articles', 'related entities') {
    push @targets, ["$related: p95 ≤ 50 ms", $row{$related}{p95}, 50, '≤'] if $row{$related};
}
push @targets, ["peak RSS ≤ 100 MB (the server of the br, gzip and If-None-Match rows)",
    $variants_rss_kb / 1024, 100, '≤'] if $variants_rss_kb;
if ($statements_file) {
    push @targets,
        ["an ETag costs no statement: a hot-list request sends as many with Accept-Encoding or "
            . "If-None-Match as without (and, uncached, as its pgbench script has)", sprintf('%d of %d requests differ', $differ // 0, $requests // 0),
            $requests && !$differ],
        ["every request of the count answered as asked (200 in the coding asked, from the cache "
            . "for the cached lists; 304 for If-None-Match)",
            sprintf('%d of %d', $as_asked // 0, $requests // 0), $requests && ($as_asked // 0) == $requests];
}
my @not_modified = grep { $row{$_}{variant} eq '304' } @order;
if (@not_modified) {
    my $max = 0;
    $max < $row{$_}{bytes} and $max = $row{$_}{bytes} for @not_modified;
    push @targets, ["If-None-Match rows answered without a body (≤ 1,000 bytes per response in wrk)",
        sprintf('≤ %.0f bytes', $max), $max <= 1000];
}
print "\n| Target | Measured | Met |\n|---|---:|---|\n";
for my $t (@targets) {
    my ($name, $value, $limit, $op) = @$t;
    my ($shown_value, $met) = defined $op
        ? (sprintf('%.2f', $value), $op eq '≥' ? $value >= $limit : $value <= $limit)
        : ($value, $limit);
    printf "| %s | %s | %s |\n", $name, $shown_value, $met ? 'yes' : 'no';
}

# The depth target, applied to the change feed, for comparison.
my ($feed_first, $feed_deep) = ('change feed, first page', 'change feed, middle page (cursor)');
if ($row{$feed_first} && $row{$feed_deep} && $row{$feed_first}{p50} > 0) {
    my $depth = $row{$feed_deep}{p50} / $row{$feed_first}{p50};
    print "\nThe depth target applied to the change feed (for comparison; the target is on the topic pages):\n\n";
    print "| Row | Measured | threshold | Met |\n|---|---:|---:|---|\n";
    printf "| change feed middle page p50 ÷ first page p50 | %.2f | ≤ 1.2 | %s |\n", $depth,
        $depth <= 1.2 ? 'yes' : 'no';
}

# The ratio targets of the plain rows, applied to their variants, for comparison.
my %threshold = ('latest by topic, uncached' => 0.5, 'latest by entity' => 0.5,
                 'latest, cached' => 2, 'latest by topic, cached' => 2);
my @compared = grep { $row{$_}{plain} && $threshold{ $row{$_}{plain} } } @shown;
if (@compared) {
    print "\nThe same ratio thresholds on the variant rows (for comparison; the targets are on the plain rows):\n\n";
    print "| Row | API ÷ pgbench | threshold | plain row | Met |\n|---|---:|---:|---:|---|\n";
    for my $label (@compared) {
        my $r = $row{$label};
        my $limit = $threshold{ $r->{plain} };
        printf "| %s | %.2f | ≥ %g | %.2f | %s |\n", $label, $r->{ratio}, $limit,
            $row{ $r->{plain} }{ratio}, $r->{ratio} >= $limit ? 'yes' : 'no';
    }
}
