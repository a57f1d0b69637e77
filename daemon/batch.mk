# daemon/: ingesting the wheels of an install request together (one durability barrier).
WHLCD_SRCS += daemon/ingest_batch.c daemon/ingest_batch.h daemon/install_ingest.c \
	daemon/install_ingest.h
