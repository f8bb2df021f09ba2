/* stemtel.h - the whole public API of libstemtel in one include
 *
 * Layers, lowest first (the folders under src/): util (errors, images,
 * hashing, TIFF output), model (what a ballot looks like and means),
 * engine (decode, register, score, interpret, separator sheets), sources
 * (files, hot folders, SANE, replay manifests), record (store,
 * basistelling, tally), report (reconcile, EML export, proof images) and
 * app (the batch runner, scan, verify). Every header may also be
 * included on its own; each is usable from C++.
 */
#ifndef STEMTEL_STEMTEL_H
#define STEMTEL_STEMTEL_H

#include "stemtel/version.h"
#include "stemtel/error.h"
#include "stemtel/image.h"
#include "stemtel/sha256.h"
#include "stemtel/tiffout.h"
#include "stemtel/model.h"
#include "stemtel/layout.h"
#include "stemtel/render.h"
#include "stemtel/eml.h"
#include "stemtel/eml510.h"
#include "stemtel/inspect.h"
#include "stemtel/decode.h"
#include "stemtel/blobs.h"
#include "stemtel/register.h"
#include "stemtel/score.h"
#include "stemtel/interpret.h"
#include "stemtel/page.h"
#include "stemtel/ballot.h"
#include "stemtel/sheet.h"
#include "stemtel/folder.h"
#include "stemtel/manifest.h"
#include "stemtel/sane.h"
#include "stemtel/tally.h"
#include "stemtel/decision.h"
#include "stemtel/store.h"
#include "stemtel/rescan.h"
#include "stemtel/basis.h"
#include "stemtel/checks.h"
#include "stemtel/reconcile.h"
#include "stemtel/export.h"
#include "stemtel/proof.h"
#include "stemtel/batch.h"
#include "stemtel/scan.h"
#include "stemtel/verify.h"

#endif
