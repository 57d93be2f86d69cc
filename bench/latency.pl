#!/usr/bin/env perl
# Reads pgbench's per-transaction logs (-l) and prints p50|p99 in milliseconds.
use strict;
use warnings;

my @us;
while (<STDIN>) {
    my @f = split;
    push @us, $f[2] if @f >= 3;
}
@us = sort { $a <=> $b } @us;
die "no pgbench transactions logged\n" unless @us;
printf "%.2f|%.2f", $us[int(0.50 * $#us)] / 1000, $us[int(0.99 * $#us)] / 1000;
