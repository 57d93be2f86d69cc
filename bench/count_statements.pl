#!/usr/bin/env perl
# Reads a stretch of PostgreSQL's log written with log_statement = 'all' and prints
# STATEMENTS|SYNCS: the statements logged, simple or extended protocol (a new connection's SET
# apart, as in bench/statements.pl), and among them those of the response cache's listening
# connection (its syncs, empty queries), whose process ids are given as a comma-separated list.
#   perl bench/count_statements.pl [LISTENER_PIDS] <LOG_STRETCH
use strict;
use warnings;

my %listener = map { $_ => 1 } grep { length } split /,/, ($ARGV[0] // '');
my ($statements, $syncs) = (0, 0);
while (my $line = <STDIN>) {
    next unless $line =~ /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\S* \S+ \[(\d+)\] LOG:  (?:statement|execute [^:]*): ?(.*)$/;
    my ($pid, $text) = ($1, $2);
    if ($listener{$pid}) {
        $syncs++;
    } elsif ($text !~ /^SET /i) {
        $statements++;
    }
}
print "$statements|$syncs\n";
