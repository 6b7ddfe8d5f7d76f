#!/usr/bin/perl
# Independent reference scorer for the evaluator's tests, written from conlleval's chunk rules.
# Unlike src/eval (which compares sets of spans) it streams tokens and tracks whether the current
# gold and guessed chunks are still in step, as conlleval.pl does.
#
# Usage: perl conlleval_ref.pl GOLD PRED   (prints JSON; P/R/F1 in percent)
# Files: `token<TAB or spaces>...<TAG>` lines; blank, IMGID: or WID: lines separate posts.
# B/I/O/E rules are conlleval.pl's; S (single) and "anything after E/S ends a chunk, B/S always
# starts one" follow the IOBES extension of the Python port, which agrees with conlleval.pl on BIO.
use strict;
use warnings;
use JSON::PP;

die "usage: $0 GOLD PRED\n" unless @ARGV == 2;

sub read_items {
    my ($file) = @_;
    open(my $fh, '<:encoding(UTF-8)', $file) or die "cannot open $file: $!\n";
    my @items;
    my $line_no = 0;
    while (my $line = <$fh>) {
        $line_no++;
        $line =~ s/\r?\n\z//;
        if ($line =~ /^\s*$/ or $line =~ /^(?:IMGID|WID):/) {
            push @items, undef if @items and defined $items[-1];
            next;
        }
        my @cols = ($line =~ /\t/) ? split(/\t/, $line) : split(' ', $line);
        die "$file:$line_no: expected token and tag\n" if @cols < 2;
        push @items, [$cols[0], $cols[-1]];
    }
    push @items, undef if @items and defined $items[-1];
    return \@items;
}

sub split_tag {
    my ($tag) = @_;
    return ($1, $2) if $tag =~ /^([^-]*)-(.*)$/;
    return ($tag, '');
}

sub end_of_chunk {
    my ($prev_tag, $tag, $prev_type, $type) = @_;
    return 1 if $prev_tag eq 'E' or $prev_tag eq 'S';
    return 1 if $prev_tag eq 'B' and ($tag eq 'B' or $tag eq 'S' or $tag eq 'O');
    return 1 if $prev_tag eq 'I' and ($tag eq 'B' or $tag eq 'S' or $tag eq 'O');
    return 1 if $prev_tag ne 'O' and $prev_tag ne '.' and $prev_type ne $type;
    return 0;
}

sub start_of_chunk {
    my ($prev_tag, $tag, $prev_type, $type) = @_;
    return 1 if $tag eq 'B' or $tag eq 'S';
    return 1 if ($prev_tag eq 'E' or $prev_tag eq 'S' or $prev_tag eq 'O') and ($tag eq 'E' or $tag eq 'I');
    return 1 if $tag ne 'O' and $tag ne '.' and $prev_type ne $type;
    return 0;
}

my $gold = read_items($ARGV[0]);
my $pred = read_items($ARGV[1]);
die "gold has " . scalar(@$gold) . " lines/boundaries but pred has " . scalar(@$pred) . "\n" if @$gold != @$pred;

my ($last_c, $last_ct, $last_g, $last_gt) = ('O', '', 'O', '');
my $in_correct = 0;
my ($correct_chunks, $found_correct, $found_guessed, $tokens, $correct_tags) = (0, 0, 0, 0, 0);
my (%correct_by, %found_correct_by, %found_guessed_by);

for my $i (0 .. $#$gold) {
    my ($g, $p) = ($gold->[$i], $pred->[$i]);
    die "item $i: post boundary in one file only\n" if defined($g) != defined($p);
    my ($c, $ct, $gs, $gt) = ('O', '', 'O', '');
    if (defined $g) {
        die "item $i: token '$g->[0]' in gold but '$p->[0]' in pred\n" if $g->[0] ne $p->[0];
        ($c, $ct) = split_tag($g->[1]);
        ($gs, $gt) = split_tag($p->[1]);
    }
    my $end_c = end_of_chunk($last_c, $c, $last_ct, $ct);
    my $end_g = end_of_chunk($last_g, $gs, $last_gt, $gt);
    my $start_c = start_of_chunk($last_c, $c, $last_ct, $ct);
    my $start_g = start_of_chunk($last_g, $gs, $last_gt, $gt);
    if ($in_correct) {
        if ($end_c and $end_g and $last_gt eq $last_ct) {
            $in_correct = 0;
            $correct_chunks++;
            $correct_by{$last_ct}++;
        } elsif ($end_c != $end_g or $gt ne $ct) {
            $in_correct = 0;
        }
    }
    $in_correct = 1 if $start_c and $start_g and $gt eq $ct;
    if ($start_c) { $found_correct++; $found_correct_by{$ct}++; }
    if ($start_g) { $found_guessed++; $found_guessed_by{$gt}++; }
    if (defined $g) {
        $tokens++;
        $correct_tags++ if $c eq $gs and $ct eq $gt;
    }
    ($last_c, $last_ct, $last_g, $last_gt) = ($c, $ct, $gs, $gt);
}
if ($in_correct) { $correct_chunks++; $correct_by{$last_ct}++; }

sub prf {
    my ($correct, $gold_n, $pred_n) = @_;
    my $p = $pred_n ? 100 * $correct / $pred_n : 0;
    my $r = $gold_n ? 100 * $correct / $gold_n : 0;
    my $f = ($p + $r) ? 2 * $p * $r / ($p + $r) : 0;
    return ($p, $r, $f);
}

my %per_type;
my %types = map { $_ => 1 } (keys %found_correct_by, keys %found_guessed_by);
for my $t (sort keys %types) {
    my ($cc, $fc, $fg) = ($correct_by{$t} // 0, $found_correct_by{$t} // 0, $found_guessed_by{$t} // 0);
    my ($p, $r, $f) = prf($cc, $fc, $fg);
    $per_type{$t} = { p => $p, r => $r, f1 => $f, support => $fc, predicted => $fg, correct => $cc };
}
my ($p, $r, $f) = prf($correct_chunks, $found_correct, $found_guessed);
print JSON::PP->new->canonical->encode({
    p => $p, r => $r, f1 => $f, perType => \%per_type,
    counts => { tokens => $tokens, goldEntities => $found_correct, predEntities => $found_guessed,
                correctEntities => $correct_chunks, correctTags => $correct_tags },
}), "\n";
