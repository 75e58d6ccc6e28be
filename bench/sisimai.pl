#!/usr/bin/perl
# The peer of bench/decode.sh: decode each file with Sisimai (Debian's libsisimai-perl),
# REPEAT times, and print one JSON line per record of the last pass on stdout.
# Usage: sisimai.pl REPEAT FILE...
use strict;
use warnings;
use Sisimai;
use JSON::PP;

my $repeat = shift @ARGV;
my $json = JSON::PP->new->canonical;
my @out;
for my $pass (1 .. $repeat) {
    @out = ();
    for my $file (@ARGV) {
        my $records = Sisimai->make($file, 'delivered' => 1, 'vacation' => 1) || [];
        for my $r (@$records) {
            push @out, $json->encode({
                file => $file, recipient => $r->recipient->address,
                reason => $r->reason, status => $r->deliverystatus,
                replycode => $r->replycode // '',
            });
        }
    }
}
print "$_\n" for @out;
