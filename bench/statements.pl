#!/usr/bin/env perl
# Reads a stretch of PostgreSQL's log written with log_statement = 'all' and prints, as a pgbench
# script, every statement run through the extended protocol (the server's prepared statements)
# with its logged parameters written in as literals. Other sessions' lines are not expected:
# bench/run sends one request at a time.
use strict;
use warnings;

my @entries;
while (my $line = <STDIN>) {
    chomp $line;
    if ($line =~ /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\S* \S+ \[\d+\] (\w+):  (.*)$/) {
        push @entries, [$1, $2];
    } elsif (@entries) {
        $entries[-1][1] .= "\n$line";
    }
}

my $pending;
sub flush_statement {
    print "$pending;\n" if defined $pending;
    undef $pending;
}
for my $entry (@entries) {
    my ($level, $text) = @$entry;
    if ($level eq 'LOG' && $text =~ /^execute [^:]*: (.*)$/s) {
        flush_statement();
        # A new connection's session setup is not part of any request.
        $pending = $1 =~ /^SET /i ? undef : $1;
    } elsif ($level eq 'DETAIL' && defined $pending && $text =~ /^parameters: (.*)$/s) {
        my ($list, %value) = ($1);
        $value{$1} = $2 while $list =~ /\$(\d+) = ('(?:[^']|'')*'|NULL)/g;
        $pending =~ s/\$(\d+)\b/exists $value{$1} ? $value{$1} : "\$$1"/ge;
        flush_statement();
    }
}
flush_statement();
