#!/bin/sh
set -eu
echo extracted
